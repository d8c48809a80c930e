// Chromium's virtual authenticator (Chrome DevTools Protocol, WebAuthn domain) through a
// playwright-core CDP session: a platform authenticator with user verification, as a laptop's
// fingerprint reader or a phone's screen lock would be. WebAuthn needs a domain, not an IP:
// the page must be on http://localhost:<port> (a secure context that is not an IP literal).
//
// The authenticator belongs to the page's target: a navigation keeps it, a new page does not.

/**
 * Adds a CTAP2 internal authenticator to `page` with resident keys and user verification;
 * `automaticPresenceSimulation` answers "touch" and "fingerprint" prompts at once.
 */
export async function addVirtualAuthenticator(page, options = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return {
    id: authenticatorId,
    /** false: the next ceremonies fail user verification (a wrong fingerprint, say) */
    setUserVerified: (isUserVerified) => cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified }),
    /** the credentials the authenticator holds (credentialId, signCount, rpId, …) */
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
    remove: () => cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId }),
  };
}

import { DatePipe, ViewportScroller } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, afterNextRender, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ActivatedRoute } from '@angular/router';
import { readApiError } from '../../../core/auth/api-error';
import { SecurityEvent } from '../../../core/auth/api.types';
import { SecurityEventsApi } from '../../../core/security-events/security-events.api';
import { ActivityEntry, describeEvent, eventMeta, groupActivity, isWarning } from '../security-event-text';

/** Shown at first; each "Load more" shows this many more (fetching the next page when needed). */
export const ACTIVITY_STEP = 10;

/** `/profile#security-activity`: the link in the security emails (backend mail/templates.ts). */
export const ACTIVITY_ANCHOR = 'security-activity';

/**
 * The user's audit log, newest first. The API pages with a cursor (`nextCursor`, null on the last
 * page); the card shows ten lines at a time and asks for the next page only when it needs it. The
 * events of one login with a second factor read as one line (groupActivity); the line keeps their
 * types in `data-merged-types`.
 */
@Component({
  selector: 'app-security-activity',
  imports: [DatePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section id="security-activity" class="card" aria-labelledby="activity-title" data-testid="security-activity-card">
      <h2 id="activity-title">Recent security activity</h2>
      @if (unavailable(); as message) {
        <p class="muted" data-testid="security-events-unavailable">{{ message }}</p>
      } @else if (error(); as message) {
        <p class="form-error" role="alert">{{ message }}</p>
        <button type="button" class="btn" (click)="reload()">Try again</button>
      } @else if (events(); as list) {
        @if (list.length === 0) {
          <p class="muted">No activity yet.</p>
        } @else {
          <ul class="activity" data-testid="security-events" aria-labelledby="activity-title">
            @for (entry of visible(); track entry.event.id) {
              @let event = entry.event;
              <li
                class="activity-item"
                [class.activity-warn]="warn(entry)"
                [attr.data-event-type]="event.type"
                [attr.data-merged-types]="mergedTypes(entry)"
              >
                <span class="activity-text">{{ describe(event) }}</span>
                <span class="activity-meta">
                  <time [attr.datetime]="event.createdAt">{{ event.createdAt | date: 'medium' }}</time>
                  @for (part of meta(event); track $index) {
                    <span aria-hidden="true"> · </span><span>{{ part }}</span>
                  }
                </span>
              </li>
            }
          </ul>
          @if (moreError(); as message) {
            <p class="form-error" role="alert">{{ message }}</p>
          }
          @if (hasMore()) {
            <button
              type="button"
              class="btn"
              data-testid="security-events-more"
              (click)="loadMore()"
              [disabled]="loadingMore()"
              [attr.aria-busy]="loadingMore()"
            >
              {{ loadingMore() ? 'Loading…' : 'Load more' }}
            </button>
          }
          <p class="status-text muted" role="status" aria-live="polite">{{ shownText() }}</p>
        }
      } @else {
        <p class="muted" aria-live="polite">Loading activity…</p>
      }
    </section>
  `,
})
export class SecurityActivity {
  private readonly api = inject(SecurityEventsApi);
  private readonly scroller = inject(ViewportScroller);
  private readonly injector = inject(Injector);

  /** Every event fetched so far (pages appended in order). */
  protected readonly events = signal<SecurityEvent[] | null>(null);
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly shown = signal(ACTIVITY_STEP);
  protected readonly error = signal<string | null>(null);
  protected readonly moreError = signal<string | null>(null);
  protected readonly loadingMore = signal(false);

  /** Set (instead of an error) when the API has nothing to show yet: an admin before turning 2FA on. */
  protected readonly unavailable = signal<string | null>(null);

  /** The lines: the events fetched so far, a 2FA login's events folded into one. */
  protected readonly entries = computed(() => groupActivity(this.events() ?? []));
  protected readonly visible = computed(() => this.entries().slice(0, this.shown()));
  /** Hidden once everything fetched is shown and the server has no next page. */
  protected readonly hasMore = computed(() => this.entries().length > this.shown() || this.nextCursor() !== null);
  /** Announced after "Load more" (the button keeps the focus). */
  protected readonly shownText = signal('');

  protected readonly describe = describeEvent;
  protected readonly warn = (entry: ActivityEntry) => isWarning(entry.event) || entry.merged.some(isWarning);
  protected readonly meta = eventMeta;
  protected readonly mergedTypes = (entry: ActivityEntry) => (entry.merged.length ? entry.merged.map((e) => e.type).join(' ') : null);

  /** Ignores answers to a load that a newer reload() replaced. */
  private generation = 0;

  /** The URL asks for this card (#security-activity) and it has not been scrolled to yet. */
  private scrollPending = false;
  /** The first page (or its error) is on screen: the card has its height. */
  private settled = false;

  constructor() {
    // The router's anchorScrolling runs when the navigation ends, before this card has loaded (and
    // while the cards above it are still growing): scroll again once the events are on screen.
    inject(ActivatedRoute)
      .fragment.pipe(takeUntilDestroyed())
      .subscribe((fragment) => {
        this.scrollPending = fragment === ACTIVITY_ANCHOR;
        this.scrollIfAsked();
      });
    this.reload();
  }

  /** Back to the newest page (after a change that adds events). */
  reload(): void {
    const generation = ++this.generation;
    this.error.set(null);
    this.unavailable.set(null);
    this.moreError.set(null);
    this.loadingMore.set(false);
    this.api.page().subscribe({
      next: (page) => {
        if (generation !== this.generation) return;
        this.events.set(page.events);
        this.nextCursor.set(page.nextCursor);
        this.shown.set(ACTIVITY_STEP);
        this.shownText.set('');
        this.loaded();
      },
      error: (err: unknown) => {
        if (generation !== this.generation) return;
        const e = readApiError(err);
        if (e.code === 'TWOFA_SETUP_REQUIRED') {
          // Nothing to retry: the API shows it once 2FA is on (an admin's first step).
          this.unavailable.set('Your security activity is shown here once two-factor authentication is on.');
        } else {
          this.error.set(`Could not load your security activity. ${e.message}`);
        }
        this.loaded();
      },
    });
  }

  protected loadMore(): void {
    if (this.loadingMore()) return;
    const target = this.shown() + ACTIVITY_STEP;
    const cursor = this.nextCursor();
    if (this.entries().length >= target || cursor === null) {
      this.show(target);
      return;
    }
    const generation = this.generation;
    this.loadingMore.set(true);
    this.moreError.set(null);
    this.api.page({ before: cursor }).subscribe({
      next: (page) => {
        if (generation !== this.generation) return;
        this.loadingMore.set(false);
        const seen = new Set((this.events() ?? []).map((e) => e.id));
        this.events.update((list) => [...(list ?? []), ...page.events.filter((e) => !seen.has(e.id))]);
        this.nextCursor.set(page.nextCursor);
        this.show(target);
      },
      error: (err: unknown) => {
        if (generation !== this.generation) return;
        this.loadingMore.set(false);
        this.moreError.set(`Could not load older activity. ${readApiError(err).message}`);
      },
    });
  }

  private loaded(): void {
    this.settled = true;
    this.scrollIfAsked();
  }

  /** Once per request: a later reload (after a change on the page) must not jump there again. */
  private scrollIfAsked(): void {
    if (!this.scrollPending || !this.settled) return;
    this.scrollPending = false;
    afterNextRender(() => this.scroller.scrollToAnchor(ACTIVITY_ANCHOR), { injector: this.injector });
  }

  private show(count: number): void {
    this.shown.set(count);
    const n = this.visible().length;
    this.shownText.set(`Showing ${n} ${n === 1 ? 'event' : 'events'}.`);
  }
}

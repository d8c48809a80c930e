# TwoFA production image. Every step it runs lives in scripts/image.sh, which .ci/run also runs
# on a clean clone: what this image does is what CI proves.
#   docker build -t twofa .
#   docker run --env-file .env -p 3000:3000 twofa        (.env: npm run secrets -- .env)
# or: docker compose --profile app up -d

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN scripts/image.sh build /app

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# the code stays root's (read-only to the app); only .data (mail files, if any) is the app's
COPY --from=build /app /app
RUN chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/app/scripts/image.sh", "health"]
CMD ["/app/scripts/image.sh", "start"]

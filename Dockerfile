# The same CLI as `make up`, for deployments on real engines (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY proto ./proto
RUN npm install --no-audit --no-fund
COPY . .
RUN node proto/build.mjs && npm run --silent build:web && npm run --silent build:site
ENTRYPOINT ["node", "--max-semi-space-size=64", "cli/bin/tapflow.js"]

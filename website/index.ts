export { WebsiteServer, SiteRequestError, type WebsiteServerOptions, type CaptureHandler, type AccountDirectory } from './server.js'
export { quote, formatUsd, ACCOUNT_ID, type Pricing, type PricingTier, type Quote, type SiteConfig, type DocPage, type LoginResult } from './api.js'
export { ensureSiteBuilt, SITE_DIR } from './build.js'

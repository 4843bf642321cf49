/** Live predictive maintenance: the champion scores every live tap, alerts open proactive tickets, measured live. */
export { PathAttribution, type Contribution } from './attribution.js'
export { AlertBook, type Alert, type AlertBookOptions, type AlertChange, type Observation } from './alerts.js'
export { ChampionExplainer, MIN_ALERT_PRECISION, type LiveScorer } from './champion.js'
export { LiveScoring, readAlerts, type LiveScoringOptions, type RoundSummary } from './loop.js'
export { liveReport, readLiveReport, type LiveEvent, type LiveReport, type LiveReportInput, type ModeSummary, type Outcome } from './report.js'
export { openProactiveTicket, PROACTIVE_CATEGORY, type ProactiveTicketRequest, type TicketDesk, type TicketOutcome } from './tickets.js'
export { compareModels, type CompareModelsInput, type ScoredWindow } from './compare.js'
export { compareOnWindow, type ReadWindow, type WindowComparisonOptions } from './compare-window.js'

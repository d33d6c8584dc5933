// authority/: the public-data authority's workflows with the operators (R19, R29: risk stops).
export { RISK_PATTERNS, DOMAIN_ACTOR, type RiskPattern } from './riskPatterns.ts';
export { RISK_RAISERS, RISK_TRANSITIONS, canRiskAction, checkRiskAction, riskActionsFor, type RiskAction, type RiskState } from './riskStates.ts';

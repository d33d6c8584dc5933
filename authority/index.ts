// authority/: the public-data authority's workflows with the operators (R19, R29: risk stops).
export { RISK_PATTERNS, DOMAIN_ACTOR, type RiskPattern } from './riskPatterns.ts';
export { RISK_RAISERS, RISK_TRANSITIONS, canRiskAction, checkRiskAction, riskActionsFor, type RiskAction, type RiskState } from './riskStates.ts';
export { workflow, type Workflow, type WorkflowActor, type WorkflowRole } from './table.ts';
export { GOVERNANCE, isOverdue, type GovernanceAction, type GovernanceState } from './governance.ts';
export { DEMANDS, LEVELS, needsProvinceConsent, type DemandAction, type DemandState, type Level } from './demands.ts';
export { evaluate, renderReport, type Criterion, type YearFacts } from './yearlyReport.ts';

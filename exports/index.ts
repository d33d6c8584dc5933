// exports/: the export gate — automatic checks, the request state machine, signed bundles.
export { dominanceOf, BLOCKING_DOMINANCE, publishedCells, unitsOf, unmeasuredColumns } from './checks/index.ts';
export {
  runChecks,
  RULES,
  DEFAULT_THRESHOLDS,
  type CheckContext,
  type CheckReport,
  type LedgerCell,
  type PriorCell,
  type Rule,
  type Thresholds,
} from './checks/index.ts';
export { withCheckContext, withRows } from './checkEnvironment.ts';
export { measureCall, newCallCache, type CallMeasure, type CallCache } from './callContext.ts';
export { kindOf, cellKey, type MeasuredQuery, type StagePlan } from './cells.ts';
export { unitDifference, type Alignment } from './unitDiff.ts';
export type { Param, Params } from './provenance.ts';
export { cellGroup, ledgerCells, ledgerConflicts, partDimFields } from './ledger.ts';
export { cellReport, columnReport, type CellDetail, type ColumnDetail } from './report.ts';
export { worst, type RuleResult, type Verdict } from './verdict.ts';
export {
  EXPORT_ACTORS,
  EXPORT_TRANSITIONS,
  canTransition,
  checkTransition,
  exportActions,
  canExportRole,
  checkExportRole,
  checkExportRequester,
  nextState,
  stateDiagram,
  type ExportAction,
  type ExportActor,
  type ExportCaller,
  type ExportState,
} from './states.ts';
export {
  writeBundle,
  verifyBundle,
  checkBundle,
  readBundleFile,
  type BundleFile,
  type Manifest,
  type ManifestInput,
  type BundleVerification,
} from './bundle.ts';
export { toCsv } from './csv.ts';
export { parseThresholds, checkThresholds, strictest, weakerThan, THRESHOLD_FIELDS } from './thresholds.ts';
export { applyFix, parseFix, replayFix, SUPPRESSION_METHOD, type FixRecord, type FixSpec } from './fix.ts';
export { writeParquet } from './parquet.ts';
export { operatorFix, operatorRules } from './operatorView.ts';

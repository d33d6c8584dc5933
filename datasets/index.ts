// datasets/: the catalog of public data and the sample-data generator. Imports nothing of ours.
export type { Category, DatasetSpec, FieldRole, FieldSpec, FieldType, Grade, MaskRule, Openness } from './types.ts';
export { CATALOG, findDataset, isGrantable, isProtectedField, addOwnDatasetResolver } from './catalog.ts';
export { generateSampleData, datasetVersions, rawStoreExists, MIN_SCALE, MAX_SCALE, type DatasetVersion, type GenerateOptions } from './generate.ts';
export { creditCodeCheckChar, identifierKind, isCreditCode, isLuhn, isMobile, isResidentId, residentIdCheckChar } from './identifiers.ts';
export { COUNTIES } from './vocab.ts';
export { residentIdCheckSql } from './sqlExpr.ts';
export { describeProblems, importDatasetFile, inspectOwnFile, MAX_IMPORT_BYTES, sha256File, type ImportProblem, type ImportReport } from './importFile.ts';
export { checkCatalogEntry, loadCatalogDir } from './catalogFile.ts';
export {
  defaultUsage,
  isTightening,
  isUsageLevel,
  parseUsageComment,
  usageComment,
  USAGE_AUDIENCES,
  USAGE_LEVELS,
  type FieldUsage,
  type UsageAudience,
  type UsageLevel,
} from './usage.ts';
export {
  LAWFUL_BASES,
  ownDatasetId,
  ownDatasetSpec,
  parseDeclaration,
  profileFile,
  type ColumnProfile,
  type FileProfile,
  type LawfulBasis,
  type OwnDeclaration,
  type OwnField,
} from './ownDataset.ts';

// products/: data products as APIs (R5) — versions of gated SQL templates, their approval table,
// strict parameters, call-time disclosure control on measured cells, and OpenAPI documents.
export {
  parseProductSpec,
  versionHash,
  checkTemplateParameters,
  PRODUCT_ID,
  MAX_ROW_CAP,
  type ProductSpec,
  type ParamSchema,
  type ParamValue,
  type CallControls,
} from './spec.ts';
export { readParams, canonicalParams, sampleParams } from './params.ts';
export { PRODUCTS, SERVED_STATES, type ProductState, type ProductAction } from './states.ts';
export { controlRows, type Controlled } from './disclosure.ts';
export { ProductEngine, type CallInput, type CallResult } from './engine.ts';
export { productOpenApi, API_KEY_HEADER, KEY_PARAMETER_NAMES, KEY_PREFIX, SCENARIO_HEADER } from './openapi.ts';

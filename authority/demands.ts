// Data demand lists (R20): an operator lists the datasets and fields it needs, each with the
// scenario that justifies it (minimum necessary). Reviewers decide item by item; an item of data
// owned above the authorization's level (province data for a city) waits for a province
// reviewer's consent. When every item is decided the list is decided; an administrator applies
// its approved items to the authorization's grants. Nobody decides on a list they filed.
import { workflow } from './table.ts';

export type DemandState = 'submitted' | 'in_review' | 'decided' | 'applied' | 'withdrawn';
export type DemandAction = 'decide_item' | 'decide_last' | 'apply' | 'withdraw';
export type Level = 'province' | 'city' | 'county';

export const LEVELS: readonly Level[] = ['province', 'city', 'county'];

export const DEMANDS = workflow<DemandState, DemandAction>(
  'demand list',
  'DEMAND_TRANSITION',
  [
    ['submitted', 'decide_item', 'in_review', ['reviewer']],
    ['in_review', 'decide_item', 'in_review', ['reviewer']],
    ['submitted', 'decide_last', 'decided', ['reviewer']],
    ['in_review', 'decide_last', 'decided', ['reviewer']],
    ['decided', 'apply', 'applied', ['admin']],
    ['submitted', 'withdraw', 'withdrawn', ['operator']],
    ['in_review', 'withdraw', 'withdrawn', ['operator']],
  ],
  ['withdraw'],
);

/** Data flows back down when its owner sits above the authorization: the province must consent. */
export function needsProvinceConsent(datasetLevel: Level, authorizationLevel: Level): boolean {
  return LEVELS.indexOf(datasetLevel) < LEVELS.indexOf(authorizationLevel);
}

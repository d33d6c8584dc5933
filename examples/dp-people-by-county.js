/// <reference path="../sandbox/sdk.d.ts" />
// People by county, differentially private: every county is listed (county codes are public),
// each count carries exact discrete Laplace noise of scale 1/ε, and in prod ε = 1 is charged to
// the population budget of this authorization before the count runs.
const r = await dp.count({ table: 'population', groupBy: 'county_code', epsilon: 1 });
output(
  'people_by_county',
  r.rows.map(([county_code, people]) => ({ county_code, people })),
);

/// <reference path="../sandbox/sdk.d.ts" />
// Average social-insurance contribution base by county, for one month.
// Run: opdomain run --tenant demo --env dev examples/income-by-county.js --as alice
const month = params.month ?? '2024-06';

const rows = await sql(
  `SELECT p.county_code,
          count(DISTINCT p.id_card)      AS people,
          round(avg(s.base_amount), 2)   AS avg_base,
          round(median(s.base_amount), 2) AS median_base
     FROM population p
     JOIN social_insurance s ON s.id_card = p.id_card
    WHERE s.month = $1
    GROUP BY p.county_code
   HAVING count(DISTINCT p.id_card) >= 10
    ORDER BY p.county_code`,
  [month],
);

log(`${rows.length} counties for ${month}`);
output('income_by_county', rows);

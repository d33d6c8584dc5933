/// <reference path="../sandbox/sdk.d.ts" />
// Fusion (R13): the bank's own customers (imported as own_demo_customers) joined to the public
// population register on the authorization's tokens, counted and summed by county.
const rows = await sql(`
  SELECT p.county_code, count(DISTINCT c.customer_id) AS customers, round(avg(c.spend), 2) AS avg_spend
  FROM own_demo_customers c JOIN population p ON p.id_card = c.customer_id
  GROUP BY p.county_code ORDER BY p.county_code`);
output('customers_by_county', rows);

/// <reference path="../sandbox/sdk.d.ts" />
// A query the SQL gate must refuse: tokenized ID numbers (join keys only) and masked phones
// (never shown) row by row. The refusal names the column and its usage level.
const rows = await sql('SELECT id_card, phone, county_code FROM population ORDER BY id_card LIMIT 50');
output('people_list', rows);

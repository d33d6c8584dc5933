/// <reference path="../sandbox/sdk.d.ts" />
// An export the gate must block: row-level data carrying tokenized ID numbers and masked phones.
const rows = await sql('SELECT id_card, phone, county_code FROM population ORDER BY id_card LIMIT 50');
output('people_list', rows);

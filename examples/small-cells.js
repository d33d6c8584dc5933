/// <reference path="../sandbox/sdk.d.ts" />
// An export the gate must block: people counted by exact birth date, most cells far below the minimum.
output('births', await sql('SELECT birth_date, count(*) AS n FROM population GROUP BY 1 ORDER BY 1'));

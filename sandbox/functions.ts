// The SQL gate's allowlists. Allowlisted, not denylisted: anything not named here is refused,
// so new DuckDB functions (file readers, settings, secrets …) stay out until reviewed.
// Non-deterministic functions (random, now) are left out too so a job replays to the same hash.

const AGGREGATES = `count count_star sum avg mean min max median quantile quantile_cont quantile_disc mode
stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop covar_samp regr_slope regr_intercept
regr_r2 regr_count regr_avgx regr_avgy approx_count_distinct approx_quantile reservoir_quantile string_agg group_concat listagg list array_agg
first last any_value arg_min arg_max argmin argmax min_by max_by bool_and bool_or product entropy kurtosis kurtosis_pop
skewness histogram bit_and bit_or bit_xor fsum sumkahan kahan_sum favg count_if countif`;

const WINDOW = 'row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value';

const SCALARS = `abs ceil ceiling floor round round_even trunc sign sqrt cbrt exp ln log log2 log10 pow power mod greatest least pi
sin cos tan asin acos atan atan2 degrees radians isnan isinf isfinite even factorial gcd lcm bit_count
length len strlen char_length character_length lower upper lcase ucase concat concat_ws substr substring left right lpad rpad
trim ltrim rtrim replace reverse repeat position strpos instr starts_with ends_with contains prefix suffix split_part
string_split str_split string_split_regex regexp_matches regexp_replace regexp_extract regexp_extract_all regexp_full_match
format printf md5 sha256 hash ascii chr unicode ord translate levenshtein editdist3 jaccard jaro_similarity jaro_winkler_similarity
damerau_levenshtein hamming mismatches strip_accents nfc_normalize lpad rpad bar
date_part datepart date_trunc datetrunc date_diff datediff date_sub datesub year month day quarter week weekofyear
dayofweek dayofyear dayofmonth isodow isoyear yearweek hour minute second millisecond epoch epoch_ms make_date make_time
make_timestamp strftime strptime try_strptime last_day monthname dayname age to_days to_months to_years to_weeks to_hours
to_minutes to_seconds time_bucket century decade millennium era
coalesce ifnull nullif if iff typeof struct_pack struct_extract struct_insert row list_value list_pack list_extract list_element array_extract
list_contains array_contains list_has list_has_any list_has_all array_length list_sort array_sort list_reverse_sort list_distinct list_unique
list_sum list_avg list_min list_max list_count list_aggregate list_transform list_apply array_transform array_apply list_filter array_filter
list_reduce array_reduce list_slice array_slice flatten list_concat array_concat list_cat list_append array_append list_prepend list_position
list_indexof list_zip unnest generate_series range map map_extract map_keys map_values element_at cardinality array_to_string list_string_agg
to_json json_extract json_extract_string json_object json_array`;

/** The SQL operators DuckDB's parser represents as functions (is_operator = true). */
const OPERATORS = `+ - * / // % ^ ** || ~~ !~~ ~~* !~~* ~~~ !~~~ & | << >> ~ @ -> ->> array_slice list_slice`;

/** Table functions allowed in FROM: they generate rows, they read nothing. */
const TABLE_FUNCTIONS = 'range generate_series unnest';

const set = (s: string) => new Set(s.split(/\s+/).filter(Boolean));

/** Every aggregate the gate allows (column lineage and the export check read arguments of these as aggregated). */
export const AGGREGATE_FUNCTIONS: ReadonlySet<string> = set(AGGREGATES);
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([...set(AGGREGATES), ...set(WINDOW), ...set(SCALARS)]);
export const ALLOWED_OPERATORS: ReadonlySet<string> = set(OPERATORS);
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = set(TABLE_FUNCTIONS);

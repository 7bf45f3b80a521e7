-- A col code of section 二 means one thing: it never mixes kinds (e.g. v2019 fee-item counts and v2021
-- fee amounts in 万元 have different codes and must stay apart).

select
    table_code,
    col_code,
    count(distinct measure_kind) as n_kinds

from {{ ref('fct_active_disclosure') }}
group by table_code, col_code
having count(distinct measure_kind) > 1

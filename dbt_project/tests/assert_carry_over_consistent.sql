-- S1 (template.md §4), a soft check: what a body carried forward at the end of a year is what
-- its next report carried over. A warning, listed in mart_carry_over (is_consistent = false).
{{ config(severity='warn') }}

select *
from {{ ref('mart_carry_over') }}
where is_consistent = false

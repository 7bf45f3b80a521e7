-- The current facts are the history facts of the current versions, cell for cell: the two
-- views of the same numbers never disagree.

with

current_sections as (

    -- the current version of each body-year's section (int_published_sections)
    select document_id, section from {{ ref('int_published_sections') }}
    where is_current

),

current_facts as (

    select document_id, table_code, row_code, col_code, value
    from {{ ref('fct_applications') }}
    union all
    select document_id, table_code, row_code, col_code, value
    from {{ ref('fct_review_litigation') }}
    union all
    select document_id, table_code, row_code, col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown)
    from {{ ref('fct_active_disclosure') }}

),

current_history as (

    select document_id, table_code, row_code, col_code, value
    from {{ ref('fct_applications_history') }}
    union all
    select document_id, table_code, row_code, col_code, value
    from {{ ref('fct_review_litigation_history') }}
    union all
    select document_id, table_code, row_code, col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown)
    from {{ ref('fct_active_disclosure_history') }}

),

current_history_of_current_reports as (

    select current_history.*
    from current_history
    inner join current_sections
        on current_history.document_id = current_sections.document_id
        and current_sections.section = case when current_history.table_code like 's2.%' then 's2'
                                            else current_history.table_code end

),

only_in_facts as (

    select 'only in the current facts' as problem, * from current_facts
    except
    select 'only in the current facts', * from current_history_of_current_reports

),

only_in_history as (

    select 'only in the history of current reports' as problem, * from current_history_of_current_reports
    except
    select 'only in the history of current reports', * from current_facts

)

select * from only_in_facts
union all
select * from only_in_history

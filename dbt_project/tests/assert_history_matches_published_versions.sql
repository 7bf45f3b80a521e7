-- The incremental history facts hold exactly the cells of the published versions' published sections, as the
-- staging tables have them now: what a full refresh would build. Any row here is a cell
-- missing from a history table, left there, or different (then run the load with a full
-- refresh, transform.build(full_refresh=True), and find out why).

with

published_cells as (

    select
        cells.document_id,
        cells.table_code,
        cells.row_code,
        cells.col_code,
        cells.value,
        cells.printed_value,
        cells.is_corrected,
        cells.is_imputed

    from {{ ref('int_cells_labelled') }} as cells
    inner join {{ ref('int_published_sections') }} as published
        on cells.document_id = published.document_id
        and cells.section = published.section

),

history_cells as (

    select document_id, table_code, row_code, col_code, value, printed_value, is_corrected, is_imputed
    from {{ ref('fct_applications_history') }}
    union all
    select document_id, table_code, row_code, col_code, value, printed_value, is_corrected, is_imputed
    from {{ ref('fct_review_litigation_history') }}
    union all
    select document_id, table_code, row_code, col_code, coalesce(value, amount_wan_cny, amount_cny, amount_unit_unknown), printed_value, is_corrected, is_imputed
    from {{ ref('fct_active_disclosure_history') }}

),

missing_from_history as (

    select 'missing from history' as problem, * from published_cells
    except
    select 'missing from history', * from history_cells

),

not_published as (

    select 'in history but not published' as problem, * from history_cells
    except
    select 'in history but not published', * from published_cells

)

select * from missing_from_history
union all
select * from not_published

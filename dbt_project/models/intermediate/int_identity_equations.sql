-- One row per equation of the expanded balancing identities (template.md §4), per template
-- version.  scope_row_code is set for identities expanded over rows (H2: one equation per
-- section-三 row): such an equation is checked only on documents that have that row, as
-- xxgk.template.equations(version, present_rows=...) does, because a row the document lacks
-- is absent from its cells, not zero (extract contract, rule 3).

with

terms as (

    select * from {{ ref('stg_identity_terms') }}

),

template_rows as (

    select * from {{ ref('stg_template_rows') }}

),

template_columns as (

    select * from {{ ref('stg_template_columns') }}

),

ordered_terms as (

    -- lhs terms first, then rhs, each in the template's row and column order
    select
        terms.*,
        row_number() over (
            partition by terms.template_version, terms.equation_id
            order by
                case terms.side when 'lhs' then 0 else 1 end,
                template_rows.row_order,
                template_columns.col_order
        ) as term_seq

    from terms
    left join template_rows
        on terms.template_version = template_rows.template_version
            and terms.table_code = template_rows.table_code
            and terms.row_code = template_rows.row_code
    left join template_columns
        on terms.template_version = template_columns.template_version
            and terms.table_code = template_columns.table_code
            and terms.col_code = template_columns.col_code

),

equations as (

    select
        template_version,
        identity_id,
        equation_id,
        min(table_code) as table_code,
        count(*) as n_terms,
        count(distinct row_code) as n_rows,
        min(row_code) as first_row_code,
        string_agg(cell_id, ',' order by term_seq) as cells

    from ordered_terms
    group by template_version, identity_id, equation_id

),

identity_shapes as (

    select
        template_version,
        identity_id,
        count(*) > 1 and bool_and(n_rows = 1) as is_expanded_over_rows

    from equations
    group by template_version, identity_id

),

scoped as (

    select
        equations.template_version,
        equations.identity_id,
        equations.equation_id,
        equations.table_code,
        case
            when identity_shapes.is_expanded_over_rows then equations.first_row_code
        end as scope_row_code,
        equations.n_terms,
        equations.cells

    from equations
    inner join identity_shapes
        on equations.template_version = identity_shapes.template_version
            and equations.identity_id = identity_shapes.identity_id

)

select * from scoped

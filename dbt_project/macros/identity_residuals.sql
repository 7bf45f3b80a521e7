{#
    The balancing identities H1–H6 evaluated on a set of cells: one row per document × equation
    with both sides, their difference and the terms that are missing.  The one SQL form of the
    identity engine (xxgk/identities.py): the equations and their terms are those the loader
    writes from xxgk.template.equations (stg_identity_terms, int_identity_equations), nothing
    here names an identity.

    documents_cte: a CTE with document_id, template_version (the documents to check);
    cells_cte: a CTE with document_id, table_code, row_code, col_code, value, is_corrected.
    An equation applies to a document that has a cell in its table (and, for an identity
    expanded over rows, H2, has the equation's row).  A term that is absent, unless optional,
    or null adds nothing to its side and is counted in n_missing_terms: such an equation cannot
    be checked.  An absent optional term (Equation.optional) counts as nothing.
    Emits CTEs ending in `identity_residuals`; the caller selects from it.
#}
{% macro identity_residuals(documents_cte, cells_cte) %}

identity_equations as (

    select * from {{ ref('int_identity_equations') }}

),

identity_terms as (

    select * from {{ ref('stg_identity_terms') }}

),

identity_document_tables as (

    select distinct document_id, table_code from {{ cells_cte }}

),

identity_document_rows as (

    select distinct document_id, table_code, row_code from {{ cells_cte }}

),

applicable_equations as (

    select
        {{ documents_cte }}.document_id,
        {{ documents_cte }}.template_version,
        identity_equations.identity_id,
        identity_equations.equation_id,
        identity_equations.n_terms,
        identity_equations.cells

    from {{ documents_cte }}
    inner join identity_equations
        on {{ documents_cte }}.template_version = identity_equations.template_version
    inner join identity_document_tables
        on {{ documents_cte }}.document_id = identity_document_tables.document_id
        and identity_equations.table_code = identity_document_tables.table_code
    left join identity_document_rows
        on {{ documents_cte }}.document_id = identity_document_rows.document_id
        and identity_equations.table_code = identity_document_rows.table_code
        and identity_equations.scope_row_code = identity_document_rows.row_code
    where identity_equations.scope_row_code is null
        or identity_document_rows.row_code is not null

),

identity_term_values as (

    select
        applicable_equations.document_id,
        applicable_equations.equation_id,
        identity_terms.side,
        term_cells.value,
        coalesce(term_cells.is_corrected, false) as is_corrected,
        term_cells.document_id is null and identity_terms.is_optional as is_absent_optional

    from applicable_equations
    inner join identity_terms
        on applicable_equations.template_version = identity_terms.template_version
        and applicable_equations.equation_id = identity_terms.equation_id
    left join {{ cells_cte }} as term_cells
        on applicable_equations.document_id = term_cells.document_id
        and identity_terms.table_code = term_cells.table_code
        and identity_terms.row_code = term_cells.row_code
        and identity_terms.col_code = term_cells.col_code

),

identity_sides as (

    select
        document_id,
        equation_id,
        cast(coalesce(sum(value) filter (where side = 'lhs'), 0) as decimal(38, 6)) as lhs_value,
        cast(coalesce(sum(value) filter (where side = 'rhs'), 0) as decimal(38, 6)) as rhs_value,
        count(*) filter (where value is null and not is_absent_optional) as n_missing_terms,
        count(*) filter (where is_corrected) as n_corrected_terms

    from identity_term_values
    group by document_id, equation_id

),

identity_residuals as (

    select
        applicable_equations.document_id,
        applicable_equations.template_version,
        applicable_equations.identity_id,
        applicable_equations.equation_id,
        identity_sides.lhs_value,
        identity_sides.rhs_value,
        cast(identity_sides.lhs_value - identity_sides.rhs_value as decimal(38, 6)) as difference,
        applicable_equations.n_terms,
        identity_sides.n_missing_terms,
        identity_sides.n_corrected_terms,
        applicable_equations.cells

    from applicable_equations
    inner join identity_sides
        on applicable_equations.document_id = identity_sides.document_id
        and applicable_equations.equation_id = identity_sides.equation_id

)

{% endmacro %}

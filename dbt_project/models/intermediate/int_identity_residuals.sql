-- One row per document × equation: the two sides of a balancing identity as printed (after the
-- reviewers' corrections, int_cells_corrected; n_corrected_terms counts them), and their
-- difference.  This is what the gate (expectations/gate.py) validates: an equation holds when
-- difference = 0 and no term is missing.  Only documents that are not rejected, and only
-- identities whose table the document has at least one cell in.
--
-- A missing term (cell absent, unless the term is optional, or null) adds nothing to its side
-- and is counted in n_missing_terms, so the gate can tell "does not balance" from "cannot be
-- checked".  An optional term (xxgk.template: Equation.optional) may be absent: it then counts
-- as nothing and is not missing.

with

documents as (

    select * from {{ ref('int_documents') }}
    where status <> 'rejected'
        and template_version is not null

),

cells as (

    -- after the reviewers' corrections: a corrected report is checked with its corrected values
    select * from {{ ref('int_cells_corrected') }}

),

equations as (

    select * from {{ ref('int_identity_equations') }}

),

terms as (

    select * from {{ ref('stg_identity_terms') }}

),

document_tables as (

    select distinct document_id, table_code from cells

),

document_rows as (

    select distinct document_id, table_code, row_code from cells

),

applicable_equations as (

    select
        documents.document_id,
        documents.template_version,
        equations.identity_id,
        equations.equation_id,
        equations.n_terms,
        equations.cells

    from documents
    inner join equations
        on documents.template_version = equations.template_version
    inner join document_tables
        on documents.document_id = document_tables.document_id
        and equations.table_code = document_tables.table_code
    left join document_rows
        on documents.document_id = document_rows.document_id
        and equations.table_code = document_rows.table_code
        and equations.scope_row_code = document_rows.row_code
    where equations.scope_row_code is null
        or document_rows.row_code is not null

),

term_values as (

    select
        applicable_equations.document_id,
        applicable_equations.equation_id,
        terms.side,
        cells.value,
        coalesce(cells.is_corrected, false) as is_corrected,
        cells.cell_id is null and terms.is_optional as is_absent_optional

    from applicable_equations
    inner join terms
        on applicable_equations.template_version = terms.template_version
        and applicable_equations.equation_id = terms.equation_id
    left join cells
        on applicable_equations.document_id = cells.document_id
        and terms.table_code = cells.table_code
        and terms.row_code = cells.row_code
        and terms.col_code = cells.col_code

),

sides as (

    select
        document_id,
        equation_id,
        cast(coalesce(sum(value) filter (where side = 'lhs'), 0) as decimal(38, 6)) as lhs_value,
        cast(coalesce(sum(value) filter (where side = 'rhs'), 0) as decimal(38, 6)) as rhs_value,
        count(*) filter (where value is null and not is_absent_optional) as n_missing_terms,
        count(*) filter (where is_corrected) as n_corrected_terms

    from term_values
    group by document_id, equation_id

),

residuals as (

    select
        applicable_equations.document_id,
        applicable_equations.template_version,
        applicable_equations.identity_id,
        applicable_equations.equation_id,
        sides.lhs_value,
        sides.rhs_value,
        cast(sides.lhs_value - sides.rhs_value as decimal(38, 6)) as difference,
        applicable_equations.n_terms,
        sides.n_missing_terms,
        sides.n_corrected_terms,
        applicable_equations.cells

    from applicable_equations
    inner join sides
        on applicable_equations.document_id = sides.document_id
        and applicable_equations.equation_id = sides.equation_id

)

select * from residuals

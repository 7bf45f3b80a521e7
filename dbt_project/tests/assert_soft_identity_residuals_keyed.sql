-- int_soft_identity_residuals has one row per anchor report × equation, and every row an
-- anchor: a not_null and a unique test in one evaluation of the view, which reads every
-- published report (two tests evaluated it twice: 79 and 67 s at 100 000 reports).

with

residuals as (

    select anchor_document_id, equation_id from {{ ref('int_soft_identity_residuals') }}

)

select
    anchor_document_id,
    equation_id,
    count(*) as n_rows

from residuals
group by anchor_document_id, equation_id
having anchor_document_id is null or count(*) > 1

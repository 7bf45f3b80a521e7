-- One row per document × equation: the two sides of a balancing identity (after the reviewers'
-- corrections, int_cells_corrected; n_corrected_terms counts them), their difference and the
-- terms that are missing (n_missing_terms: the equation cannot be checked).  Computed by the
-- macro identity_residuals, from the equations the loader writes from xxgk.template; the gate
-- decides with the same equations (expectations/frames.py), this model is what the quarantine
-- and the analysts see of them.  Only documents that are not rejected.

-- Incremental by document (macros/by_document.sql).

{{ config(**incremental_by_document()) }}

with

documents_to_build as (

    {{ documents_to_build() }}

),

documents as (

    select document_id, template_version from {{ ref('int_documents') }}
    where status <> 'rejected'
        and template_version is not null
        and document_id in (select document_id from documents_to_build)

),

cells as (

    select * from {{ ref('int_cells_corrected') }}
    where document_id in (select document_id from documents_to_build)

),

{{ identity_residuals('documents', 'cells') }}

select * from identity_residuals

{#
    Incremental models by document: a model whose rows belong each to one document
    (int_cells_corrected, int_cells_labelled, int_identity_residuals, the facts …) rebuilds only
    the documents whose inputs changed since its last build, so a load costs time in proportion
    to the new and changed documents, not to the warehouse.

    What a model reads of a document is summed up in one digest, the column of
    int_document_digests named after the model (e.g. int_document_digests.int_cells_labelled:
    the document's reading, its applied corrections, its body, year, template version and
    status, and the template).  Each build records the digests it was built from in a ledger
    table beside the model (intermediate.<model>__digests: document_id, input_digest).  Then:

      pre-hook  (drop_stale_documents):   the model's rows of every document whose digest
                changed or that the ledger does not know are deleted;
      body      (documents_to_build):     the model is computed for those documents only (and
                the new ones), and appended;
      post-hooks (forget_stale_digests, record_document_digests): the ledger forgets the changed
                digests and records the new ones, with the build's time (built_at); the model's
                generic tests check the documents of its latest build (get_where_subquery).

    A document whose rows must go (a new reading without cells, a section no longer published,
    a version no longer current) has a changed digest, so its rows are deleted and nothing is
    appended.  A full refresh (--full-refresh, or a model built for the first time) computes
    every document and writes the ledger: the same rows.  A model without a ledger (built before
    this) has every row deleted by the pre-hook and is rebuilt whole once.

    Why a ledger rather than a digest column in the model: the marts are published as they are
    (warehouse/publish.py copies every column), and a fingerprint is nothing an analyst reads.
#}

{# md5 of the items (SQL expressions), null-safe: a null item is not the same as an empty one. #}
{% macro digest(items) -%}
    md5(concat_ws(chr(31)
        {%- for item in items %}, coalesce(cast({{ item }} as varchar), chr(30)){% endfor -%}
    ))
{%- endmacro %}

{# md5 of every row of a relation, in a total order: changes when any row of it does. #}
{% macro relation_digest(relation) -%}
    (select md5(coalesce(string_agg(cast(r as varchar), chr(31) order by cast(r as varchar)), ''))
     from {{ relation }} as r)
{%- endmacro %}

{% macro ledger(model=none) -%}
    {%- set model = model if model is not none else this -%}
    {{ model.database }}.intermediate.{{ model.identifier }}__digests
{%- endmacro %}

{# The documents this build must compute: those whose digest the ledger does not hold. #}
{% macro documents_to_build() -%}
    select digests.document_id
    from {{ ref('int_document_digests') }} as digests
    {% if is_incremental() %}
        where not exists (
            select 1 from {{ ledger() }} as built
            where built.document_id = digests.document_id
                and built.input_digest = digests.{{ this.identifier }}
        )
    {% endif %}
{%- endmacro %}

{% macro create_ledger() -%}
    create table if not exists {{ ledger() }} (document_id varchar, input_digest varchar, built_at timestamp)
{%- endmacro %}

{# Pre-hook: delete the rows of every document whose inputs changed since the model was built. #}
{% macro drop_stale_documents() -%}
    {% if is_incremental() %}
        delete from {{ this }}
        where document_id not in (
            select built.document_id
            from {{ ledger() }} as built
            inner join {{ ref('int_document_digests') }} as digests
                on built.document_id = digests.document_id
                and built.input_digest = digests.{{ this.identifier }}
        )
    {% else %}
        select 1
    {% endif %}
{%- endmacro %}

{#
    Post-hooks: the ledger forgets the digests that changed (all of them on a full refresh) and
    records those of the documents just built, with the time of this build (built_at: the
    tests of the model check the documents of its latest build, get_where_subquery).
#}
{% macro forget_stale_digests() -%}
    delete from {{ ledger() }}
    {% if not should_full_refresh() %}
        where not exists (
            select 1 from {{ ref('int_document_digests') }} as digests
            where digests.document_id = {{ ledger() }}.document_id
                and digests.{{ this.identifier }} = {{ ledger() }}.input_digest
        )
    {% endif %}
{%- endmacro %}

{# The time of this dbt invocation, as the ledger records it. #}
{% macro build_time() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{% macro record_document_digests() -%}
    insert into {{ ledger() }}
    select
        digests.document_id,
        digests.{{ this.identifier }},
        {{ build_time() }}
    from {{ ref('int_document_digests') }} as digests
    where not exists (
        select 1 from {{ ledger() }} as built where built.document_id = digests.document_id
    )
{%- endmacro %}

{#
    dbt's filter of a generic test (its `where` config), with one more value: `documents of this
    build` (dbt_project.yml sets it for the tests of the intermediate models and the marts)
    limits the test to the rows of the documents this build of the model computed (none when
    nothing changed), for a model incremental by document; every other model is tested whole.  A load so tests its own
    documents, not the warehouse; a full refresh, which builds every document, tests them all.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where == 'documents of this build' -%}
        {%- set digests = adapter.get_relation(
            database=relation.database, schema='intermediate', identifier=relation.identifier ~ '__digests'
        ) if relation.identifier is not none else none -%}
        {%- if digests is not none -%}
            {%- set filtered -%}
                (select * from {{ relation }} where document_id in (
                    select document_id from {{ digests }}
                    where built_at = {{ build_time() }}
                )) dbt_subquery
            {%- endset -%}
            {%- do return(filtered) -%}
        {%- else -%}
            {%- do return(relation) -%}
        {%- endif -%}
    {%- elif where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# The config of a model incremental by document: {{ config(**incremental_by_document()) }}.
   The hooks are strings, rendered when the model runs. #}
{% macro incremental_by_document() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': ['{{ create_ledger() }}', '{{ drop_stale_documents() }}'],
        'post_hook': ['{{ forget_stale_digests() }}', '{{ record_document_digests() }}'],
    }) }}
{%- endmacro %}

-- The applicant types of section 三 (its columns), derived from the template tables the loader
-- writes. The 总计 column is the one identity H2 sums the others into; the five organisation
-- types are printed under the heading 法人或其他组织 (template.md §2.1).

with

template_columns as (

    select * from {{ ref('stg_template_columns') }}
    where table_code = 's3'

),

identity_terms as (

    select * from {{ ref('stg_identity_terms') }}
    where identity_id = 'H2' and table_code = 's3'

),

total_columns as (

    select distinct col_code from identity_terms where side = 'lhs'

),

columns_by_code as (

    select
        col_code,
        arg_max(col_label, template_version) as applicant_label,
        arg_max(col_label_en, template_version) as applicant_label_en,
        arg_max(col_order, template_version) as applicant_order,
        count(distinct col_label) as n_labels

    from template_columns
    group by col_code

),

dimension as (

    select
        columns_by_code.col_code,
        columns_by_code.applicant_label,
        columns_by_code.applicant_label_en,
        columns_by_code.applicant_order,
        total_columns.col_code is not null as is_total,
        case
            when total_columns.col_code is not null then 'total'
            when columns_by_code.col_code = 'natural_person' then 'natural_person'
            else 'legal_or_other_org'
        end as applicant_group,
        case
            when total_columns.col_code is not null then '总计'
            when columns_by_code.col_code = 'natural_person' then '自然人'
            else '法人或其他组织'
        end as applicant_group_label,
        columns_by_code.n_labels

    from columns_by_code
    left join total_columns
        on columns_by_code.col_code = total_columns.col_code

)

select * from dimension

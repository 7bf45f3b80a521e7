-- One row per row of the report's tables (sections 二, 三, 四), across both template versions,
-- derived from the template tables the loader writes from xxgk/template.py. A row code means
-- the same thing in both versions; the labels of each version are kept, and row_order places
-- rows of either version in one printed order (v2019 （六）其他处理 just before the v2021 rows
-- that replaced it).

with

template_rows as (

    select * from {{ ref('stg_template_rows') }}

),

row_groups as (

    select * from {{ ref('stg_template_row_groups') }}

),

rows_by_code as (

    select
        table_code,
        row_code,
        any_value(section) as section,
        max(row_label) filter (where template_version = 'v2021') as row_label_v2021,
        max(row_label) filter (where template_version = 'v2019') as row_label_v2019,
        max(row_label_en) filter (where template_version = 'v2021') as row_label_en_v2021,
        max(row_label_en) filter (where template_version = 'v2019') as row_label_en_v2019,
        -- group, level and leaf are the same in both versions (tested); v2021 wins if not
        arg_max(row_group, template_version) as row_group,
        arg_max(row_level, template_version) as row_level,
        arg_max(is_leaf, template_version) as is_leaf,
        count(distinct row_group) as n_row_groups,
        max(row_order) filter (where template_version = 'v2021') as row_order_v2021,
        max(row_order) filter (where template_version = 'v2019') as row_order_v2019,
        list(template_version order by template_version) as template_versions

    from template_rows
    group by table_code, row_code

),

table_order as (

    select
        table_code,
        row_number() over (order by min(section), min(table_code)) as table_order

    from template_rows
    group by table_code

),

ordered_rows as (

    select
        rows_by_code.*,
        table_order.table_order,
        row_number() over (
            partition by rows_by_code.table_code
            order by
                coalesce(rows_by_code.row_order_v2021, rows_by_code.row_order_v2019),
                rows_by_code.row_order_v2021 is not null,
                rows_by_code.row_code
        ) as row_order

    from rows_by_code
    inner join table_order
        on rows_by_code.table_code = table_order.table_code

),

dimension as (

    select
        ---------- ids
        ordered_rows.table_code || '/' || ordered_rows.row_code as row_key,
        ordered_rows.section,
        ordered_rows.table_code,
        ordered_rows.row_code,

        ---------- labels
        coalesce(ordered_rows.row_label_v2021, ordered_rows.row_label_v2019) as row_label,
        coalesce(ordered_rows.row_label_en_v2021, ordered_rows.row_label_en_v2019) as row_label_en,
        ordered_rows.row_label_v2019,
        ordered_rows.row_label_v2021,
        ordered_rows.row_label_en_v2019,
        ordered_rows.row_label_en_v2021,

        ---------- hierarchy and order
        nullif(ordered_rows.row_group, '') as row_group,
        row_groups.row_group_label_en,
        row_groups.row_group_order,
        ordered_rows.row_level,
        ordered_rows.is_leaf,
        -- a level-2 row sits under its group's heading ((三)不予公开, (四)无法提供, …)
        case when ordered_rows.row_level = 2 then ordered_rows.row_group end as parent_row_group,
        ordered_rows.table_order,
        ordered_rows.row_order,
        ordered_rows.row_order_v2019,
        ordered_rows.row_order_v2021,

        ---------- versions
        ordered_rows.template_versions,
        list_contains(ordered_rows.template_versions, 'v2019') as in_v2019,
        list_contains(ordered_rows.template_versions, 'v2021') as in_v2021,
        ordered_rows.n_row_groups

    from ordered_rows
    left join row_groups
        on ordered_rows.row_group = row_groups.row_group

)

select * from dimension

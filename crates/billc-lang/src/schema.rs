//! The input tables of DATA.md as the language sees them: which tables a rule can query, their
//! columns and each column's kind (a dimension kept as text, or a measure summed per month).
//!
//! This is the one statement of the table schema: the checker types queries with it, the evaluator
//! and `billc test` read rows by it, the demand analysis names tables by it, and the data crate
//! validates and aggregates CSV files by it. It may not depend on anything but itself.

/// The input tables of DATA.md that expressions can query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableName {
    Revenue,
    Statistics,
    Gl,
    Timesheets,
}

impl TableName {
    pub const ALL: [TableName; 4] = [
        TableName::Revenue,
        TableName::Statistics,
        TableName::Gl,
        TableName::Timesheets,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TableName::Revenue => "revenue",
            TableName::Statistics => "statistics",
            TableName::Gl => "gl",
            TableName::Timesheets => "timesheets",
        }
    }

    pub fn from_name(name: &str) -> Option<TableName> {
        TableName::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The columns a rule can read, with their types. Dimensions are text (or numbers kept as text);
    /// measures are summed per month by the data layer.
    pub fn columns(self) -> &'static [(&'static str, ColumnTy)] {
        use ColumnTy::*;
        match self {
            TableName::Revenue => &[
                ("revenue_code", Text),
                ("category", Text),
                ("collection_type", Text),
                ("deposit_flag", Text),
                ("tax_rate", NumberDim),
                ("external_revenue", Money),
                ("net_external_revenue", Money),
                ("billable_net_validation", Money),
                ("vehicle_count", Number),
            ],
            TableName::Statistics => &[("category", Text), ("value", Number)],
            TableName::Gl => &[("account", Text), ("entity", Text), ("balance", Money)],
            TableName::Timesheets => &[
                ("job_code", Text),
                ("week", DateDim),
                ("regular_minutes", Number),
                ("overtime_minutes", Number),
                ("holiday_minutes", Number),
                ("double_overtime_minutes", Number),
                ("holiday_overtime_minutes", Number),
                ("holiday_double_overtime_minutes", Number),
                ("regular_hours", Hours),
                ("overtime_hours", Hours),
            ],
        }
    }

    pub fn column(self, name: &str) -> Option<ColumnTy> {
        self.columns().iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }
}

/// The type of a table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnTy {
    Text,
    NumberDim,
    DateDim,
    Money,
    Number,
    Hours,
}

impl ColumnTy {
    /// Dimensions are kept per group as text; measures are summed.
    pub fn is_dimension(self) -> bool {
        matches!(self, ColumnTy::Text | ColumnTy::NumberDim | ColumnTy::DateDim)
    }
}

/// Position of a column among its table's dimensions or measures.
pub fn column_position(table: TableName, name: &str) -> Option<(ColumnTy, usize)> {
    let cols = table.columns();
    let (_, ty) = cols.iter().find(|(n, _)| *n == name)?;
    let dim = ty.is_dimension();
    let index = cols
        .iter()
        .filter(|(_, t)| t.is_dimension() == dim)
        .position(|(n, _)| *n == name)?;
    Some((*ty, index))
}

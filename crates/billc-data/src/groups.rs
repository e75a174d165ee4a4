//! The invoice groups of the contract sites, for checking `adhoc.csv`.
//!
//! An ad-hoc row (site, period, group, kind, title, gl, amount) goes on the invoice of its group
//! (RULES.md §13). A group its site's contract does not declare would make an invoice nobody
//! agreed to, so such a row of the period is a bad row, `undeclared_group`, naming the site, the
//! group and the groups the contract declares. The data crate does not read contracts: the caller
//! computes the groups from the plans (`billc_billing::period::load_data`, with
//! [`billc_lang::plan::PlanBody::invoice_groups`]: a contract without `group` declarations bills
//! group 1) and passes them in [`crate::LoadOptions::groups`].
//!
//! Sites without a contract are not listed: their rows stay unmatched (`unmatched_data`), as
//! before. Rows of earlier months are not checked: this run bills none of them onto an invoice
//! (they were billed, or refused, in their own month's run).

use std::collections::BTreeMap;

/// The invoice group numbers each contract site declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvoiceGroups {
    by_site: BTreeMap<String, Vec<u32>>,
}

impl InvoiceGroups {
    /// The groups of a site's contract (sorted, without repeats).
    pub fn declare(&mut self, site: &str, groups: impl IntoIterator<Item = u32>) {
        let list = self.by_site.entry(site.to_string()).or_default();
        list.extend(groups);
        list.sort_unstable();
        list.dedup();
    }

    /// Why an ad-hoc row of `site` for `group` cannot be billed: `None` when the site's contract
    /// declares the group or the site has no contract.
    pub fn undeclared(&self, site: &str, group: u32) -> Option<String> {
        let declared = self.by_site.get(site)?;
        if declared.contains(&group) {
            return None;
        }
        let list: Vec<String> = declared.iter().map(u32::to_string).collect();
        let which = match list.as_slice() {
            [one] => format!("group {one} only"),
            _ => format!("groups {}", list.join(", ")),
        };
        Some(format!(
            "invoice group {group} is not declared by the contract of site {site}, which declares {which}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_checked_only_for_contract_sites() {
        let mut groups = InvoiceGroups::default();
        groups.declare("0238", [2, 1, 2]);
        groups.declare("0239", [1]);
        assert_eq!(groups.undeclared("0238", 2), None);
        assert_eq!(
            groups.undeclared("0238", 3).as_deref(),
            Some("invoice group 3 is not declared by the contract of site 0238, which declares groups 1, 2")
        );
        assert_eq!(
            groups.undeclared("0239", 2).as_deref(),
            Some("invoice group 2 is not declared by the contract of site 0239, which declares group 1 only")
        );
        assert_eq!(groups.undeclared("0240", 7), None, "no contract: unmatched, not bad");
    }
}

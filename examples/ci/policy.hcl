# Checked by `cairn plan -policy=policy.hcl` in the workflow; see docs/ci.md for the rule language.
rule "keep-state-markers" {
  types   = ["terraform_data"]
  deny    = ["destroy"]
  message = "Markers are removed by hand, not by CI."
}

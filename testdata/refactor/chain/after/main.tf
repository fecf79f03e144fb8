# first → second → third: the object ends at the last address of the chain.
moved {
  from = terraform_data.first
  to   = terraform_data.second
}

moved {
  from = terraform_data.second
  to   = terraform_data.third
}

resource "terraform_data" "third" {
  input = "changed"
}

variable "value" {}

resource "terraform_data" "g" {
  input = terraform_data.nope.output
}

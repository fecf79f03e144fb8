widget "x" {}

resource "terraform_data" "a" {
  lifecycle {
    bogus = true
    nested {}
  }
}

variable "v" {
  typo = string
  validation {
    condition = true
  }
  extra {}
}

output "o" {
  value = 1
  dscription = "typo"
}

locals {
  a = 1
  block {}
}

terraform {
  cloud {
    organization = "x"
  }
  other = 1
}

data "local_file" "f" {
  filename = "x"
  lifecycle {
    prevent_destroy = true
  }
}

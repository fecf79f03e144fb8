variable "v" {}
output "o" { value = 2 }
locals {
  l = 2
}
provider "aws" { region = "x" }
provider "aws" { alias = "west" }
provider "aws" { alias = "east" }
resource "terraform_data" "r" {}
data "terraform_remote_state" "r" { backend = "local" }
# a data source may share a managed resource's name
data "terraform_data" "r" {}
terraform {
  backend "pg" {}
}

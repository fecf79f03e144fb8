variable "v" {}
output "o" { value = 1 }
locals { l = 1 }
provider "aws" {}
provider "aws" { alias = "west" }
resource "terraform_data" "r" {}
data "terraform_remote_state" "r" { backend = "local" }
terraform {
  backend "local" {}
}

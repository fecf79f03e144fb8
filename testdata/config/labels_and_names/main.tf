resource "terraform_data" {}
resource "a" "b" "c" {}
resource "terraform_data" "1bad" {}
resource "bad type" "x" {}
variable {}
variable "count" {}
variable "ok" "extra" {}
output "o-k" { value = 1 }
output "9" { value = 1 }
locals "x" {}
provider "aws" "x" {}
data "x" {}
output "missing" {}
provider "p" {
  count = 1
}

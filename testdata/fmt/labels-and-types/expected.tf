resource "aws_s3_bucket" "logs" {}
module "x" /* why */ {
  source = "./x"
}
variable "a" {
  type = string
}
variable "b" {
  type = list(string)
}
variable "c" {
  type = map(any)
}
variable "d" {
  type    = set(any)
  default = []
}

resource aws_s3_bucket logs {}
module "x" /* why */ {
  source = "./x"
}
variable "a" {
  type = "string"
}
variable "b" {
  type = "list"
}
variable "c" {
  type = map
}
variable "d" {
  type = set
  default = []
}

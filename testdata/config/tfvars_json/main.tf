variable "list" {}
variable "obj" {}
variable "str" {}
variable "num" {}

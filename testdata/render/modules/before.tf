module "m" {
  source = "./mod"
  v      = "one"
}
module "gone" {
  source = "./mod"
  v      = "bye"
}

module "registry" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

module "git" {
  source = "git::https://example.com/vpc.git?ref=v1.2.0"
}

module "missing" {
  source = "./modules/missing"
}

module "no_source" {
  count = 1
}

module "ok" {
  source  = "./modules/ok"
  version = "1.0.0"
  count   = 1
  for_each = {}
}

module "ok" {
  source = "./modules/ok"
}

module "loop" {
  source = "./modules/loop"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

module "net" {
  source = "./modules/net"
  cidr   = "10.0.0.0/16"
  names  = ["a", "b"]
}

module "app" {
  source     = "./modules/app/"
  for_each   = toset(["blue", "green"])
  subnet_ids = module.net.subnet_ids
  depends_on = [module.net]
  providers = {
    aws.dst = aws.west
  }
}

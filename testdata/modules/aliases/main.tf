provider "random" {
  alias = "second"
}

module "pet" {
  source = "./modules/pet"
  providers = {
    random.other = random.second
  }
}

output "ids" {
  value = module.pet.ids
}

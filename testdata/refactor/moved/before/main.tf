resource "terraform_data" "a" {
  input = "a"
}

resource "terraform_data" "c" {
  count = 2
  input = "c${count.index}"
}

# Gains count: moves implicitly to n[0].
resource "terraform_data" "n" {
  input = "n"
}

# Loses count: moves implicitly from k[0] to k.
resource "terraform_data" "k" {
  count = 1
  input = "k"
}

module "old" {
  source = "./modules/box"
  label  = "m"
}

locals {
  fine = 1
}

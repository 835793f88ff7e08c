module github.com/trustlens/trustlens/scripts/classify-baseline

go 1.22

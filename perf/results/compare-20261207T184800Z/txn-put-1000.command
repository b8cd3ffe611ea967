benchmark --endpoints=<3 members> --conns=100 --clients=1000 txn-put --key-size=8 --val-size=256 --txn-ops=1 --key-space-size=10000 --total=40000

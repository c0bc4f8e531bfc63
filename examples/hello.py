import leveret

app = leveret.App("hello")


@app.function()
def square(x):
    print(f"squaring {x}")
    return x * x


@app.local_entrypoint()
def main(n: int = 10):
    print(square.remote(3))
    print(sum(square.map(range(n))))
    call = square.spawn(5)
    print(call.get())

/** The sales-trend figure the benchmarks re-plot: the reference analysis's main picture. */
export const salesFigureCode = `import matplotlib.pyplot as plt
sales = {"Product A": [100, 120, 95, 140, 160, 180, 200],
         "Product B": [80, 85, 90, 95, 100, 105, 110],
         "Product C": [200, 180, 220, 190, 240, 260, 280]}
fig, ax = plt.subplots(figsize=(10, 6))
for name, values in sales.items():
    ax.plot(range(1, 8), values, marker="o", label=name)
ax.set_title("Sales trends"); ax.legend(); ax.grid(True, alpha=0.3)
`;

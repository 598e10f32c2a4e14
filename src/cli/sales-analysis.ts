/** The reference data analysis: three products' sales over seven periods. */
export const salesSeries: Record<string, number[]> = {
  'Product A': [100, 120, 95, 140, 160, 180, 200],
  'Product B': [80, 85, 90, 95, 100, 105, 110],
  'Product C': [200, 180, 220, 190, 240, 260, 280],
};

/**
 * What an agent's model typically writes for "visualize the sales trends and calculate growth
 * rates": pandas for the numbers, matplotlib for the picture, and nothing about saving or
 * encoding figures — capture is automatic.
 */
export const salesAnalysisCode = `import json
import pandas as pd
import matplotlib.pyplot as plt

with open("sales.json") as f:
    sales = pd.DataFrame(json.load(f))
sales.index = [f"P{i + 1}" for i in range(len(sales))]

overall = (sales.iloc[-1] / sales.iloc[0] - 1) * 100
period = sales.pct_change().iloc[1:] * 100

print("Overall growth rates:")
for product, value in overall.items():
    print(f"  {product}: {value:.1f}%")
print("Period-over-period growth (%):")
for product in sales.columns:
    print(f"  {product}: " + ", ".join(f"{v:.1f}" for v in period[product]))

fig, ax = plt.subplots(figsize=(10, 6))
for product in sales.columns:
    ax.plot(sales.index, sales[product], marker="o", label=product)
ax.set_title("Sales trends")
ax.set_xlabel("Period")
ax.set_ylabel("Units sold")
ax.grid(True, alpha=0.3)
ax.legend()
plt.show()

fig, ax = plt.subplots(figsize=(10, 6))
period.plot(kind="bar", ax=ax)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_title("Period-over-period growth (%)")
ax.set_xlabel("Period")
ax.set_ylabel("Growth (%)")
plt.show()
`;

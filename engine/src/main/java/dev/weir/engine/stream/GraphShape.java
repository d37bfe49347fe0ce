package dev.weir.engine.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shape of a graph: who feeds whom, checked for unknown names, cycles and tasks the source never
 * reaches, and the derived facts the scheduler needs — each task's rank (its distance to the nearest
 * terminal) and the tasks upstream of it.
 */
final class GraphShape {

    /** An edge as declared: {@code from} (a task or the source) feeds {@code to}. */
    record Edge(String from, String to) {
    }

    private final Map<String, List<String>> inputs = new LinkedHashMap<>();
    private final Map<String, List<String>> downstream = new LinkedHashMap<>();
    private final Map<String, Integer> ranks = new LinkedHashMap<>();
    private final Map<String, Set<String>> ancestors = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    GraphShape(Collection<String> tasks, List<Edge> edges) {
        tasks.forEach(t -> {
            inputs.put(t, new ArrayList<>());
            downstream.put(t, new ArrayList<>());
        });
        downstream.put(StreamGraph.SOURCE, new ArrayList<>());
        if (tasks.isEmpty()) {
            problems.add("the graph has no tasks: add one with task(name, function)");
        }
        readEdges(edges);
        List<String> cycle = findCycle();
        if (cycle != null) {
            problems.add("the graph has a cycle: " + String.join(" -> ", cycle));
        } else {
            checkReachable();
            computeRanks();
            computeAncestors();
        }
    }

    private void readEdges(List<Edge> edges) {
        Set<Edge> seen = new HashSet<>();
        for (Edge edge : edges) {
            String label = "edge '" + edge.from() + "' -> '" + edge.to() + "'";
            if (!downstream.containsKey(edge.from())) {
                problems.add(label + ": task '" + edge.to() + "' has input '" + edge.from()
                        + "', which is neither a task nor the source ('" + StreamGraph.SOURCE + "')");
            } else if (!inputs.containsKey(edge.to())) {
                problems.add(label + ": there is no task named '" + edge.to() + "'");
            } else if (edge.from().equals(edge.to())) {
                problems.add(label + ": task '" + edge.to() + "' cannot feed itself");
            } else if (!seen.add(edge)) {
                problems.add(label + ": declared twice");
            } else {
                inputs.get(edge.to()).add(edge.from());
                downstream.get(edge.from()).add(edge.to());
            }
        }
        if (!inputs.isEmpty() && downstream.get(StreamGraph.SOURCE).isEmpty()) {
            problems.add("no task reads from the source: connect the first task with source(\"name\")");
        }
    }

    /** A cycle as a path whose first and last names are the same, or null. */
    private List<String> findCycle() {
        Map<String, Integer> state = new LinkedHashMap<>();
        for (String task : inputs.keySet()) {
            Deque<String> path = new ArrayDeque<>();
            List<String> cycle = visit(task, state, path);
            if (cycle != null) {
                return cycle;
            }
        }
        return null;
    }

    private List<String> visit(String task, Map<String, Integer> state, Deque<String> path) {
        Integer s = state.get(task);
        if (s != null && s == 2) {
            return null;
        }
        path.addLast(task);
        if (s != null) {
            List<String> list = new ArrayList<>(path);
            return list.subList(list.indexOf(task), list.size());
        }
        state.put(task, 1);
        for (String next : downstream.get(task)) {
            List<String> cycle = visit(next, state, path);
            if (cycle != null) {
                return cycle;
            }
        }
        state.put(task, 2);
        path.removeLast();
        return null;
    }

    private void checkReachable() {
        Set<String> reached = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(downstream.get(StreamGraph.SOURCE));
        while (!todo.isEmpty()) {
            String task = todo.pop();
            if (reached.add(task)) {
                todo.addAll(downstream.get(task));
            }
        }
        for (String task : inputs.keySet()) {
            if (!reached.contains(task)) {
                problems.add("task '" + task + "' has no path from the source"
                        + (inputs.get(task).isEmpty() ? ": it has no input; connect it with source(\"" + task
                        + "\") or edge(\"upstream\", \"" + task + "\")" : ""));
            }
        }
    }

    private void computeRanks() {
        for (String task : topologicalOrder(true)) {
            int rank = downstream.get(task).stream().mapToInt(d -> ranks.get(d) + 1).min().orElse(0);
            ranks.put(task, rank);
        }
    }

    private void computeAncestors() {
        for (String task : topologicalOrder(false)) {
            Set<String> upstream = new LinkedHashSet<>();
            for (String input : inputs.get(task)) {
                if (!StreamGraph.SOURCE.equals(input)) {
                    upstream.add(input);
                    upstream.addAll(ancestors.get(input));
                }
            }
            ancestors.put(task, upstream);
        }
    }

    /** Tasks so that each comes after its inputs ({@code reversed}: after its downstream tasks). */
    private List<String> topologicalOrder(boolean reversed) {
        List<String> order = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (String task : inputs.keySet()) {
            place(task, reversed, done, order);
        }
        return order;
    }

    private void place(String task, boolean reversed, Set<String> done, List<String> order) {
        if (!done.add(task)) {
            return;
        }
        for (String before : reversed ? downstream.get(task) : inputs.get(task)) {
            if (!StreamGraph.SOURCE.equals(before)) {
                place(before, reversed, done, order);
            }
        }
        order.add(task);
    }

    List<String> problems() {
        return problems;
    }

    List<String> inputs(String task) {
        return List.copyOf(inputs.get(task));
    }

    List<String> downstream(String taskOrSource) {
        return List.copyOf(downstream.get(taskOrSource));
    }

    int rank(String task) {
        return ranks.get(task);
    }

    Set<String> ancestors(String task) {
        return Set.copyOf(ancestors.get(task));
    }
}

package sample;

/** A small class for the symbol index tests. */
public class Sample {
    public static final int LIMIT = 10;

    enum Color { RED, GREEN }

    interface Loader {
        String load(String name);
    }

    static int helper(int value) {
        return value * 2;
    }

    public String load(String name) {
        return name + helper(LIMIT);
    }
}
